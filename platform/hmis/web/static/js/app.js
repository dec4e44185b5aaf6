/* Small behaviours for every page. No inline scripts anywhere: the CSP forbids them.
 *
 * - htmx requests that change data carry the CSRF token from <meta name="csrf-token">.
 * - <form data-confirm="..."> (or a button with data-confirm) asks before submitting.
 * - <form data-busy-label="..."> disables its submit button once sent, so a slow
 *   upload is not sent twice.
 * - <input type="file" data-max-bytes="..."> warns about a too-large file before upload.
 * - Failed htmx requests show a message instead of silently doing nothing.
 * - After a refused submit, focus moves to the error summary ([data-error-summary]), or
 *   else to the first field marked aria-invalid: on page load, and after an htmx swap
 *   that a submit caused (never while someone is typing into a search-as-you-type box).
 *   A summary's links move focus to the field they name (GOV.UK error summary pattern).
 */
(function () {
  'use strict';

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  document.addEventListener('htmx:configRequest', function (event) {
    var verb = (event.detail.verb || 'get').toLowerCase();
    if (verb !== 'get') {
      event.detail.headers['X-CSRFToken'] = csrfToken();
    }
  });

  function showError(message) {
    var box = document.getElementById('live-error');
    if (!box) { return; }
    box.textContent = message;
    box.hidden = false;
  }

  function hideError() {
    var box = document.getElementById('live-error');
    if (box) { box.hidden = true; }
  }

  document.addEventListener('htmx:responseError', function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    showError(status >= 500
      ? 'Something went wrong on the server (' + status + '). Please try again; if it keeps happening, tell your administrator.'
      : 'That did not work (' + status + '). Please reload the page and try again.');
  });
  document.addEventListener('htmx:sendError', function () {
    showError('The HMIS could not be reached. Check your connection and try again.');
  });
  document.addEventListener('htmx:afterRequest', function (event) {
    if (event.detail.successful) { hideError(); }
  });

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute('data-confirm')) || form.getAttribute('data-confirm');
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    var file = form.querySelector('input[type="file"][data-max-bytes]');
    if (file && !checkFileSize(file)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    var busy = form.getAttribute('data-busy-label');
    if (busy) {
      var button = submitter || form.querySelector('[type="submit"]');
      if (button) {
        // Disable after this event, or the button's own name/value would not be sent.
        window.setTimeout(function () {
          button.disabled = true;
          if (button.tagName === 'INPUT') { button.value = busy; } else { button.textContent = busy; }
        }, 0);
      }
    }
  }, true);

  function checkFileSize(input) {
    var limit = parseInt(input.getAttribute('data-max-bytes'), 10);
    var error = document.getElementById(input.id + '-client-error') || document.getElementById('file-client-error');
    var tooLarge = limit > 0 && input.files && input.files.length > 0 && input.files[0].size > limit;
    if (error) {
      error.textContent = tooLarge ? input.getAttribute('data-too-large') : '';
      error.hidden = !tooLarge;
    }
    input.setAttribute('aria-invalid', tooLarge ? 'true' : 'false');
    return !tooLarge;
  }

  document.addEventListener('change', function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.type === 'file' && input.hasAttribute('data-max-bytes')) {
      checkFileSize(input);
    }
  });

  var FIELDS = 'input:not([type="hidden"]):not([disabled]), select:not([disabled]), textarea:not([disabled])';

  function focusProblems(root) {
    var summary = root.matches && root.matches('[data-error-summary]') ? root : root.querySelector('[data-error-summary]');
    var target = summary || root.querySelector('[aria-invalid="true"]');
    if (!target) { return false; }
    target.focus();
    return document.activeElement === target;
  }

  document.addEventListener('DOMContentLoaded', function () { focusProblems(document); });

  document.addEventListener('htmx:afterSettle', function (event) {
    var config = event.detail.requestConfig || {};
    var trigger = config.triggeringEvent;
    if (trigger && trigger.type === 'submit' && event.detail.target) { focusProblems(event.detail.target); }
  });

  // A summary link names a field, or (for a group of radios or checkboxes, which have no
  // id) the message beside it: focus the field, or the group's first input.
  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('[data-error-summary] a[href^="#"]');
    if (!link) { return; }
    var named = document.getElementById(decodeURIComponent(link.getAttribute('href').slice(1)));
    if (!named) { return; }
    var holder = named.closest('[data-item], .field, fieldset') || named;
    var field = named.matches(FIELDS) ? named : holder.querySelector(FIELDS);
    if (!field) { return; }
    event.preventDefault();
    var details = field.closest('details');
    if (details) { details.open = true; }
    holder.scrollIntoView({block: 'start'});
    field.focus({preventScroll: true});
  });
}());
