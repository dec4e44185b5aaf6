/* Small behaviours for every page. No inline scripts anywhere: the CSP forbids them.
 *
 * - htmx requests that change data carry the CSRF token from <meta name="csrf-token">.
 * - <form data-confirm="..."> (or a button with data-confirm) asks before submitting.
 * - <form data-busy-label="..."> disables its submit button once sent, so a slow
 *   upload is not sent twice.
 * - <input type="file" data-max-bytes="..."> warns about a too-large file before upload.
 * - Failed htmx requests show a message instead of silently doing nothing.
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
}());
