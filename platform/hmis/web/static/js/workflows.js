/* Check-in roster: filter by name, select everyone not yet checked in, count the selection.
 * Works without JavaScript too (plain checkboxes and a submit button). */
(function () {
  'use strict';

  function boxes() { return Array.prototype.slice.call(document.querySelectorAll('[data-roster-box]')); }

  function updateCount() {
    var out = document.getElementById('selected-count');
    if (out) { out.textContent = String(boxes().filter(function (b) { return b.checked; }).length); }
  }

  document.addEventListener('change', function (event) {
    if (event.target.matches && event.target.matches('[data-roster-box]')) { updateCount(); }
  });

  document.addEventListener('input', function (event) {
    if (!event.target.matches || !event.target.matches('[data-roster-filter]')) { return; }
    var wanted = event.target.value.trim().toLowerCase();
    document.querySelectorAll('[data-roster-row]').forEach(function (row) {
      row.hidden = wanted !== '' && row.getAttribute('data-name').indexOf(wanted) === -1;
    });
  });

  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-select-all]');
    if (!button) { return; }
    boxes().forEach(function (box) {
      if (!box.closest('[data-roster-row]').hidden) { box.checked = true; }
    });
    updateCount();
  });

  document.addEventListener('DOMContentLoaded', updateCount);
}());
