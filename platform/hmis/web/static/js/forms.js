/* Forms: show and hide questions as answers change, without reloading the page, and
 * add rows to repeating groups.
 *
 * Which questions are shown is decided by the server (the one expression evaluator):
 * after a change, the answers of the form around a .hmis-form are posted to its
 * data-refresh-url with the context facts written on it (data-context-*), and the
 * reply lists the items to show. Nothing is evaluated here.
 */
(function () {
  'use strict';

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  function contextFields(wrapper, data) {
    Array.prototype.forEach.call(wrapper.attributes, function (attribute) {
      if (attribute.name.indexOf('data-context-') === 0) {
        data.append('_ctx_' + attribute.name.slice('data-context-'.length), attribute.value);
      }
    });
  }

  var pending = new WeakMap();

  function refresh(wrapper) {
    var url = wrapper.getAttribute('data-refresh-url');
    var form = wrapper.closest('form');
    if (!url || !form) { return; }
    var data = new FormData(form);
    data.delete('csrf_token');
    contextFields(wrapper, data);
    var sequence = (pending.get(wrapper) || 0) + 1;
    pending.set(wrapper, sequence);
    fetch(url, {
      method: 'POST', body: data, credentials: 'same-origin',
      headers: {'X-CSRFToken': csrfToken(), 'Accept': 'application/json'}
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (reply) {
      if (pending.get(wrapper) !== sequence) { return; }  // a newer change is on its way
      var shown = new Set(reply.shown || []);
      wrapper.querySelectorAll('[data-item]').forEach(function (element) {
        element.hidden = !shown.has(element.getAttribute('data-item'));
      });
    }).catch(function () {
      var box = document.getElementById('live-error');
      if (box) {
        box.textContent = 'Could not update which questions apply; your answers are kept. They will be checked when you save.';
        box.hidden = false;
      }
    });
  }

  var timers = new WeakMap();

  function schedule(wrapper, delay) {
    clearTimeout(timers.get(wrapper));
    timers.set(wrapper, setTimeout(function () { refresh(wrapper); }, delay));
  }

  document.addEventListener('change', function (event) {
    var wrapper = event.target.closest && event.target.closest('.hmis-form');
    if (wrapper) { schedule(wrapper, 50); }
  });
  document.addEventListener('input', function (event) {
    var wrapper = event.target.closest && event.target.closest('.hmis-form');
    if (wrapper && event.target.type !== 'radio' && event.target.type !== 'checkbox') { schedule(wrapper, 400); }
  });

  // Repeating groups: copy the last row, renumbering its field names and ids.
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-add-row]');
    if (!button) { return; }
    var group = button.closest('[data-repeat]');
    var rows = group.querySelectorAll('.form-group__row');
    var max = parseInt(group.getAttribute('data-repeat-max'), 10);
    if (!rows.length || rows.length >= max) { button.disabled = true; return; }
    var last = rows[rows.length - 1];
    var index = rows.length;
    var copy = last.cloneNode(true);
    var base = group.getAttribute('data-repeat');
    var pattern = new RegExp('^' + base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\[\\d+\\]');
    copy.setAttribute('data-row', String(index));
    copy.querySelectorAll('[name], [id], [for], [data-item]').forEach(function (element) {
      ['name', 'id', 'for'].forEach(function (attribute) {
        var value = element.getAttribute(attribute);
        if (value) { element.setAttribute(attribute, value.replace(pattern, base + '[' + index + ']')); }
      });
      var item = element.getAttribute('data-item');
      if (item) { element.setAttribute('data-item', item.replace(/\[\d+\]/, '[' + index + ']')); }
      if (element.matches('input[type=radio], input[type=checkbox]')) { element.checked = false; }
      else if (element.matches('input, textarea')) { element.value = ''; }
      else if (element.matches('select')) { element.selectedIndex = 0; }
    });
    last.after(copy);
    if (rows.length + 1 >= max) { button.disabled = true; }
  });
})();
