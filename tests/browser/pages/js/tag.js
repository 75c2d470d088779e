// Stands in for a Google tag gated on third_party: records when it ran in dataLayer.
window.dataLayer = window.dataLayer || [];
window.dataLayer.push({ event: 'gated_tag' });
var tag = document.createElement('p');
tag.id = 'tag-ran';
tag.textContent = 'tag ran';
document.body.appendChild(tag);
