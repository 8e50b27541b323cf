// CloudFront Function (cloudfront-js-2.0), viewer request, on StaticSite's API behaviour: removes
// the behaviour's path prefix so the API receives its own routes (/api/jobs/123 -> /jobs/123,
// /api -> /). StaticSite sets PREFIX to the prefix of apiPathPattern at synth (this line is
// replaced). The query string and headers (Authorization included) are left as they are.
var PREFIX = '/api';
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === PREFIX) {
    request.uri = '/';
  } else if (uri.indexOf(PREFIX + '/') === 0) {
    request.uri = uri.substring(PREFIX.length);
  }
  return request;
}
