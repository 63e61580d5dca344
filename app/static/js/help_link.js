// The "?" of a screen's help page (templates/muara/base.html) goes into the page's
// title: the first heading of the content (a screen's <h2>, a list's panel title).
(function () {
  var link = document.getElementById("help-link");
  if (!link) { return; }
  var title = document.querySelector(".container h2, .container .panel-title");
  if (!title) { return; }
  link.classList.remove("pull-right");
  link.style.marginLeft = "0.4em";
  link.style.fontSize = "0.8em";
  if (title.classList.contains("panel-title")) { link.style.color = "inherit"; }
  title.appendChild(link);
})();
