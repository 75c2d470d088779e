// Stands in for an EU audience measurement tag (the default site's "analytics" example):
// it only sets the first-party visitor cookie the site declares (^_pk_id\.), for 13
// months at most, and sends nothing over the network. The banner clears it on withdrawal.
(function () {
  'use strict';
  var id = Math.random().toString(16).slice(2, 18);
  document.cookie = '_pk_id.1.demo=' + id + '; Path=/; Max-Age=34128000; SameSite=Lax';
  var status = document.getElementById('analytics-status');
  if (status) {
    status.textContent = 'Audience measurement: loaded (a _pk_id cookie was set).';
    status.className = 'on';
  }
})();
