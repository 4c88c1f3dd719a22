// The API docs page: Swagger UI on our own OpenAPI document. No inline script (the
// Content-Security-Policy allows only our files), so the page is initialised here.
(function () {
  "use strict";
  function start() {
    var root = document.getElementById("swagger-ui");
    if (!root || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    window.ui = window.SwaggerUIBundle({
      url: root.dataset.specUrl,
      domNode: root,
      deepLinking: true,
      // No call to the public validator service: the page must work offline.
      validatorUrl: null,
      tryItOutEnabled: false,
      presets: [window.SwaggerUIBundle.presets.apis],
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
