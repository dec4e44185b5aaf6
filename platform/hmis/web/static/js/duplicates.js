/* Compare page: "Use all values of A/B" sets every differing field's choice at once. */
(function () {
  'use strict';
  document.addEventListener('click', function (event) {
    var button = event.target.closest('[data-pick-all]');
    if (!button) { return; }
    var side = button.getAttribute('data-pick-all');
    var form = document.getElementById('merge-form');
    if (!form) { return; }
    form.querySelectorAll('input[type="radio"][data-side="' + side + '"]').forEach(function (input) {
      input.checked = true;
    });
  });
}());
