// Gated on the video service.
window.videoRan = (window.videoRan || 0) + 1;
