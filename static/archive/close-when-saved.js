// The bookmarklet's window closes itself shortly after a save with nothing to tell.
(() => {
  const saved = document.querySelector("[data-close-after]");
  if (saved) {
    setTimeout(() => window.close(), Number(saved.dataset.closeAfter));
  }
})();
