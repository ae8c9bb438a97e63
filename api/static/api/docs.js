// Starts the vendored Swagger UI on this app's OpenAPI document (no inline script: see the CSP).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: false,  // a link inside each operation's button is a nested control (axe)
    defaultModelsExpandDepth: -1,  // schemas are shown with each operation, not in a list of their own
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
