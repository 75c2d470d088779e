// Stands in for an analytics tag: it sets a first-party cookie the banner clears on withdrawal.
(function () {
  'use strict';
  document.cookie = '_ga_demo=GA1.1.' + Date.now() + '; Path=/; Max-Age=31536000; SameSite=Lax';
  var status = document.getElementById('analytics-status');
  if (status) {
    status.textContent = 'Analytics script: loaded (a _ga_demo cookie was set).';
    status.className = 'on';
  }
})();
