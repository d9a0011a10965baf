// The /apidoc page: Swagger UI on twinhub's own OpenAPI document, beside this page (served by the same server).
// Requests go out with the browser's credentials (a basic-auth login the browser asked for, or cookies), or with
// what "Authorize" sets (basic or a bearer token). Nothing is fetched from elsewhere: no validator badge.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: new URL("../api/2/openapi.json", window.location.href).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    withCredentials: true,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
