// Date inputs follow the page's language (issue 16): the calendar writes 05/11/2026 in
// Indonesian and 2026-11-05 in English, and never rewrites what the user typed (the
// server reads both forms). Loaded after the framework's ab.js, which set ISO up first.
(function ($) {
  "use strict";
  var script = document.currentScript;
  var language = (script && script.dataset.language) || "en";
  $.fn.datepicker.dates.id = {
    days: ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"],
    daysShort: ["Min", "Sen", "Sel", "Rab", "Kam", "Jum", "Sab"],
    daysMin: ["Mg", "Sn", "Sl", "Rb", "Km", "Jm", "Sb"],
    months: ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember"],
    monthsShort: ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt",
                  "Nov", "Des"],
    today: "Hari ini",
    clear: "Kosongkan",
    weekStart: 1,
    format: "dd/mm/yyyy"
  };
  function localize(inputs) {
    inputs.datepicker("destroy").datepicker({
      format: language === "id" ? "dd/mm/yyyy" : "yyyy-mm-dd",
      language: language === "id" ? "id" : "en",
      autoclose: true,
      forceParse: false
    });
  }
  $(function () {
    localize($(".appbuilder_date"));
    // Filters added later on the search form get the same calendar.
    $(document).on("focus", ".appbuilder_date:not(.muara-localized)", function () {
      localize($(this).addClass("muara-localized"));
    });
  });
})(jQuery);
