// CloudFront Function (cloudfront-js-2.0), viewer request: serves the index document of a
// directory. /docs/ and /docs become /docs/index.html; a path whose last segment has a file
// extension (/app.js, /img/logo.png) is left as it is. Shipped as a file, loaded by StaticSite.
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith('/')) {
    request.uri = uri + 'index.html';
  } else {
    var last = uri.substring(uri.lastIndexOf('/') + 1);
    if (last.indexOf('.') === -1) {
      request.uri = uri + '/index.html';
    }
  }
  return request;
}
