// Gated on persistent: must not run before consent, and only once after.
window.persistentRan = (window.persistentRan || 0) + 1;
var pp = document.createElement('p');
pp.id = 'persistent-ran';
pp.textContent = 'persistent ran';
document.body.appendChild(pp);
