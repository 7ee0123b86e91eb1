"""The SPARQL query UI page of `rnetkg serve` (`/sparql`): Oxigraph's YASGUI build, served by the server
itself, pointed at this server's `/query` (the page of the Oxigraph server assumes it sits at `/`)."""

UI_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>rnetkg: SPARQL query UI</title>
  <link href="/sparql/yasgui.min.css" rel="stylesheet" type="text/css">
  <script src="/sparql/yasgui.min.js"></script>
  <link rel="icon" type="image/svg+xml" href="/logo.svg">
</head>
<body>
<div id="yasgui"></div>
<script>
  const endpoint = new URL("/query", window.location.href).href;
  new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] }
  });
</script>
</body>
</html>
"""
