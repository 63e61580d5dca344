// A form with data-confirm="question" asks the question before it is sent; Cancel keeps
// the page as it is. One listener for every such form: the Content-Security-Policy
// refuses inline onsubmit handlers.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
