// The page's own code deciding through window.consent: from a click on its own button (a user
// gesture), or by itself once the banner has started (?auto: no gesture).
document.getElementById('page-accept').addEventListener('click', () => window.consent.acceptAll());
if (location.search === '?auto') window.consent.ready.then(() => window.consent.acceptAll());
