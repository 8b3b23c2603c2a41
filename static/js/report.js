// Progressive enhancement only: the form works without this file.
// Choosing a district or street lists the next level at once instead of needing the button.
(function () {
  var form = document.querySelector("form[action='/report/']");
  if (!form) return;
  var pairs = [["id_district", "_list_streets"], ["id_street", "_list_communities"]];
  pairs.forEach(function (pair) {
    var select = document.getElementById(pair[0]);
    var button = form.querySelector("button[name='" + pair[1] + "']");
    if (!select || !button) return;
    button.hidden = true;
    select.addEventListener("change", function () { button.click(); });
  });
})();
