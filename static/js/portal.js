// Behaviour that htmx does not provide by itself: a visible message when a
// request fails, and focus moved to the message of a swapped-in card.
"use strict";

(function () {
  // base.html renders the messages, in the page's language, as data-message-*
  // attributes of the #request-error box.
  function message(name) {
    const box = document.getElementById("request-error");
    return (box && box.getAttribute(`data-message-${name}`)) || "";
  }

  function showRequestError(text) {
    const box = document.getElementById("request-error");
    if (!box || !text) {
      return;
    }
    box.textContent = text;
    box.hidden = false;
    window.clearTimeout(showRequestError.timer);
    showRequestError.timer = window.setTimeout(() => {
      box.hidden = true;
    }, 8000);
  }

  // Error pages mark their explanation with data-error-message; use it so the
  // person sees the server's own words.
  function messageFrom(xhr) {
    const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const element = page.querySelector("[data-error-message]");
    if (element && element.textContent.trim()) {
      return element.textContent.trim();
    }
    return (
      message(String(xhr.status)) || message("failed").replace("{status}", String(xhr.status))
    );
  }

  document.addEventListener("htmx:responseError", (event) => {
    showRequestError(messageFrom(event.detail.xhr));
  });

  document.addEventListener("htmx:sendError", () => {
    showRequestError(message("unreachable"));
  });

  document.addEventListener("htmx:beforeRequest", () => {
    const box = document.getElementById("request-error");
    if (box) {
      box.hidden = true;
    }
  });

  document.addEventListener("htmx:afterSettle", (event) => {
    const message = event.detail.elt.querySelector("[data-focus-after-swap]");
    if (message) {
      message.focus();
    }
  });
})();

// The server shows times in the zone this cookie names (TimezoneMiddleware).
(function () {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone) {
    // IANA names use only letters, digits and / _ + -, all valid in a cookie.
    document.cookie = `timezone=${zone}; path=/; max-age=31536000; SameSite=Lax`;
  }
})();

// htmx pushes filtered URLs (Members) into the address bar without reloading
// the page, so the language form sends the address shown now, not the one the
// page was first served at. A page returned for a POST leaves `next` empty,
// because its address is the form's target.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("[data-language-form]");
  const next = form && form.querySelector("input[name=next]");
  if (next && next.value) {
    next.value = window.location.pathname + window.location.search;
  }
});
