// Asks window.consent synchronously, right after the banner script, before it has started.
window.__early = { has: window.consent.has('persistent'), get: window.consent.get() };
