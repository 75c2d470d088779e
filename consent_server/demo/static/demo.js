// Live view of the visitor's choices, from the banner's public API and events.
(function () {
  'use strict';
  function render(record) {
    var list = document.getElementById('choices');
    var note = document.getElementById('choices-note');
    if (!list || !note) return;
    list.replaceChildren();
    if (!record) {
      note.textContent = 'No decision yet: the banner below asks for one.';
      return;
    }
    note.textContent = 'Decided' + (record.pending ? ' (queued, not yet confirmed by the server)' : '') + ':';
    var choices = record.choices || {};
    Object.keys(choices).forEach(function (category) {
      var item = document.createElement('li');
      item.textContent = category + ': ' + (choices[category] ? 'granted' : 'denied');
      item.className = choices[category] ? 'on' : 'off';
      list.appendChild(item);
    });
  }
  document.addEventListener('consent:change', function (event) { render(event.detail); });
  document.addEventListener('consent:ready', function (event) { render(event.detail); });
  if (window.consent && window.consent.ready) window.consent.ready.then(render);
})();
