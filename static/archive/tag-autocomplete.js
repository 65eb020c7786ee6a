// Tag suggestions for the admin's comma-separated tag inputs, through a native <datalist>:
// each suggestion is the text typed so far with its last tag completed.
(function () {
  "use strict";
  const list = document.createElement("datalist");
  list.id = "tag-suggestions";
  let timer = null;
  let lastQuery = null;

  function split(value) {
    const cut = value.lastIndexOf(",");
    return { head: cut < 0 ? "" : value.slice(0, cut + 1) + " ", term: value.slice(cut + 1).trim() };
  }

  function suggest(input) {
    const { head, term } = split(input.value);
    if (term === lastQuery) return;
    lastQuery = term;
    fetch(input.dataset.suggestUrl + "?q=" + encodeURIComponent(term), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : { tags: [] }))
      .then((data) => {
        list.replaceChildren(
          ...data.tags.map((name) => {
            const option = document.createElement("option");
            option.value = head + name;
            return option;
          })
        );
      })
      .catch(() => {});
  }

  document.addEventListener("DOMContentLoaded", () => document.body.appendChild(list));
  document.addEventListener("focusin", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches("input.tag-input")) return;
    input.setAttribute("list", list.id);
    lastQuery = null;
    suggest(input);
  });
  document.addEventListener("input", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches("input.tag-input")) return;
    clearTimeout(timer);
    timer = setTimeout(() => suggest(input), 150);
  });
})();
