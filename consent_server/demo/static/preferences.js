// Stands in for a script that remembers preferences in a persistent cookie (declared: 6 months).
(function () {
  'use strict';
  document.cookie = 'prefs=theme%3Dlight; Path=/; Max-Age=15552000; SameSite=Lax';
  var status = document.getElementById('prefs-status');
  if (status) {
    status.textContent = 'Preferences script: loaded (a prefs cookie was set).';
    status.className = 'on';
  }
})();
