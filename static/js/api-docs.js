// The API docs page (/api/docs/): Swagger UI on the schema, signed in by this browser's
// session. Requests that change something carry the page's CSRF token, as forms do.
document.addEventListener("DOMContentLoaded", () => {
  const container = document.getElementById("api-docs");
  if (!container || typeof SwaggerUIBundle === "undefined") return;
  SwaggerUIBundle({
    url: container.dataset.schemaUrl + "?format=json",
    domNode: container,
    validatorUrl: null,
    deepLinking: true,
    requestInterceptor: (request) => {
      request.headers["X-CSRFToken"] = container.dataset.csrfToken;
      return request;
    },
  });
});
