// Gated on third_party: must not run before consent, and only once after.
window.thirdPartyRan = (window.thirdPartyRan || 0) + 1;
var tp = document.createElement('p');
tp.id = 'tp-ran';
tp.textContent = 'third-party ran';
document.body.appendChild(tp);
