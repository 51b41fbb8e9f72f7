// Behaviour that htmx does not provide by itself: a visible message when a
// request fails, and focus moved to the message of a swapped-in card.
"use strict";

(function () {
  const fallbackMessages = {
    403: "You do not have permission to do that. Reload the page to sign in again.",
    404: "That item no longer exists or belongs to another organization. Reload the page.",
  };

  function showRequestError(text) {
    const box = document.getElementById("request-error");
    if (!box) {
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
      fallbackMessages[xhr.status] ||
      `The request failed (status ${xhr.status}). Reload the page and try again.`
    );
  }

  document.addEventListener("htmx:responseError", (event) => {
    showRequestError(messageFrom(event.detail.xhr));
  });

  document.addEventListener("htmx:sendError", () => {
    showRequestError("The server could not be reached. Check your connection and try again.");
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
