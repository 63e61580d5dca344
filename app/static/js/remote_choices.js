// Related-record choices looked up as the user types (issue 14): a select marked
// "muara-remote-choices" lists only its chosen records; select2 asks the view's JSON
// endpoint (data-choices-url) for what matches the typed text, 20 at a time. Search
// filters are added to the page after it loads, so new selects are watched for.
(function ($) {
  "use strict";
  function remote(select) {
    var $select = $(select);
    if ($select.data("select2")) {
      return;
    }
    $select.select2({
      theme: "bootstrap",
      width: "100%",
      allowClear: false,
      placeholder: $select.attr("data-placeholder") || "",
      minimumInputLength: 0,
      ajax: {
        url: $select.attr("data-choices-url"),
        dataType: "json",
        delay: 250,
        data: function (params) {
          return {q: params.term || "", page: params.page || 1};
        }
      }
    });
    // Opened, the search box takes the typing (with this jQuery select2 leaves it
    // unfocused, and what the user types would go nowhere).
    $select.on("select2:open", function () {
      var box = document.querySelector(".select2-container--open .select2-search__field");
      if (box) {
        box.focus();
      }
    });
  }
  function scan(root) {
    $(root).find("select.muara-remote-choices").addBack("select.muara-remote-choices")
      .each(function () { remote(this); });
  }
  $(function () {
    scan(document.body);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (node) {
          if (node.nodeType === 1) {
            scan(node);
          }
        });
      });
    }).observe(document.body, {childList: true, subtree: true});
  });
})(jQuery);
