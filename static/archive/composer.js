// The composer flags, as an editor types, a URL featured in an earlier issue or twice in this
// one, and offers the page's own title when the title is still empty. The server says it all
// (archive.admin.links.check_url and page_title), in the editor's language.
(function () {
  "use strict";
  const issue = (location.pathname.match(/\/issue\/(\d+)\/change\//) || [])[1] || "";
  const link = (location.pathname.match(/\/link\/(\d+)\/change\//) || [])[1] || "";
  const normalized = new Map(); // URL input → its normalised URL
  const timers = new WeakMap();

  function notice(input, className) {
    let box = input.parentElement.querySelector("." + className);
    if (!box) {
      box = document.createElement("div");
      box.className = className + " url-notice";
      box.setAttribute("role", "status");
      input.insertAdjacentElement("afterend", box);
    }
    return box;
  }

  function flagTwice() {
    const seen = new Map();
    for (const [input, value] of normalized) {
      if (!document.body.contains(input)) normalized.delete(input);
      else if (value) seen.set(value, (seen.get(value) || []).concat([input]));
    }
    for (const [input, value] of normalized) {
      const box = notice(input, "url-twice");
      const twice = value && seen.get(value).length > 1;
      box.textContent = twice ? input.dataset.twiceNotice : "";
      box.hidden = !twice;
    }
  }

  function offerTitle(input) {
    const title = input.form.elements[input.name.replace(/-url$/, "-title")];
    if (!title || title.value.trim()) return;
    fetch(input.dataset.titleUrl + "?url=" + encodeURIComponent(input.value), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : {}))
      .then((page) => {
        if (!page.title || title.value.trim()) return;
        const box = notice(title, "title-offer");
        box.textContent = "";
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button";
        button.textContent = input.dataset.useTitle + page.title;
        button.addEventListener("click", () => {
          title.value = page.title;
          box.remove();
        });
        box.appendChild(button);
      });
  }

  // "already featured in {issues}", each issue a link: built as text and elements, never
  // from HTML, so no answer can put markup on the page.
  function showFeatured(box, found) {
    box.replaceChildren();
    const featured = (found.featured || []).slice(0, 5);
    if (!found.notice_pattern || !featured.length) return;
    const [before, after = ""] = String(found.notice_pattern).split("{issues}");
    box.append(before);
    featured.forEach((appearance, index) => {
      if (index) box.append(String(found.separator || ", "));
      const url = String(appearance.url || "");
      if (url.startsWith("/") && !url.startsWith("//")) {
        const a = document.createElement("a");
        a.href = url;
        a.textContent = String(appearance.label);
        box.append(a);
      } else {
        box.append(String(appearance.label));
      }
    });
    box.append(after);
  }

  function check(input) {
    const url = input.value.trim();
    if (!url) {
      normalized.set(input, "");
      notice(input, "url-featured").replaceChildren();
      flagTwice();
      return;
    }
    fetch(input.dataset.checkUrl + "?url=" + encodeURIComponent(url) + "&issue=" + issue + "&link=" + link, {
      credentials: "same-origin",
    })
      .then((response) => response.json())
      .then((found) => {
        normalized.set(input, found.normalized);
        showFeatured(notice(input, "url-featured"), found);
        flagTwice();
        if (found.normalized) offerTitle(input);
      });
  }

  document.addEventListener("input", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches("input[data-check-url]")) return;
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(() => check(input), 400));
  });
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("input[data-check-url]").forEach((input) => {
      if (input.value.trim()) check(input);
    });
  });
})();
