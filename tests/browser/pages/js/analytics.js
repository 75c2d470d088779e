// Gated on the analytics service.
window.analyticsRan = (window.analyticsRan || 0) + 1;
