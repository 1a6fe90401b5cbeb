// Sends requests signed by esdk-obs-nodejs (Huawei's OBS SDK, from npm) to
// the recording server of signature_sdk_test.py, which forwards each one to
// VerifySignature. Usage:
//   node obs_sdk_requests.js '{"port": N, "ak": "...", "sk": "...",
//                              "mode": "obs" | "v2"}'
// with NODE_PATH pointing at tests/e2e/obs_sdk/node_modules. The secret
// comes in argv from the test, is used only to sign, and is never printed.
// mode "obs": OBS signatures (Authorization: OBS ak:sig), virtual-hosted
// (bucket.obs.test, resolved to 127.0.0.1 by the agent); mode "v2": the
// server given as an IP address, so path-style with AWS V2 signatures.
'use strict';
const http = require('http');
const dns = require('dns');
const ObsClient = require('esdk-obs-nodejs');

const config = JSON.parse(process.argv[2]);
const agent = new http.Agent({
  keepAlive: false,
  lookup: (hostname, options, callback) => {
    if (options && options.all) {
      callback(null, [{address: '127.0.0.1', family: 4}]);
    } else {
      callback(null, '127.0.0.1', 4);
    }
  },
});
const server = config.mode === 'obs' ? `http://obs.test:${config.port}`
                                     : `http://127.0.0.1:${config.port}`;
const client = new ObsClient({
  access_key_id: config.ak,
  secret_access_key: config.sk,
  server,
  max_retry_count: 0,
  is_signature_negotiation: false,
  timeout: 10,
  http_agent: agent,
});
const bucket = 'sdk-bucket';
const keys = ['a b.txt', 'plus+sign', 'tilde~x', '100%', 'dir//double',
              'ünï€ key.txt'];

// A request whose response the SDK cannot parse still reached the server:
// only the request matters here.
async function attempt(what, call) {
  try {
    await call();
  } catch (error) {
    process.stderr.write(`${what}: ${error.message}\n`);
  }
}

function fetchUrl(method, url, headers, body) {
  return new Promise((resolve) => {
    const request = http.request(url, {method, agent, headers}, (response) => {
      response.resume();
      response.on('end', resolve);
    });
    request.on('error', (error) => {
      process.stderr.write(`fetch: ${error.message}\n`);
      resolve();
    });
    if (body) request.write(body);
    request.end();
  });
}

async function main() {
  // Its init is asynchronous: signing before it finishes throws.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const key of keys) {
    await attempt('put', () => client.putObject(
        {Bucket: bucket, Key: key, Body: `body of ${key}`,
         ContentType: 'text/plain', Metadata: {owner: 'e2e test'}}));
    await attempt('get', () => client.getObject({Bucket: bucket, Key: key}));
  }
  await attempt('list', () => client.listObjects(
      {Bucket: bucket, Prefix: 'a b', MaxKeys: 10}));
  await attempt('acl', () => client.setObjectAcl(
      {Bucket: bucket, Key: keys[1], ACL: client.enums.AclPrivate}));
  await attempt('get acl', () => client.getObjectAcl(
      {Bucket: bucket, Key: keys[1]}));
  await attempt('multipart', () => client.initiateMultipartUpload(
      {Bucket: bucket, Key: keys[5]}));
  await attempt('part', () => client.uploadPart(
      {Bucket: bucket, Key: keys[5], PartNumber: 1, UploadId: 'upload+id 1',
       Body: 'part one'}));
  await attempt('complete', () => client.completeMultipartUpload(
      {Bucket: bucket, Key: keys[5], UploadId: 'upload+id 1',
       Parts: [{PartNumber: 1, ETag: '"etag"'}]}));
  await attempt('delete', () => client.deleteObject(
      {Bucket: bucket, Key: keys[0]}));
  // Temporary URLs (AccessKeyId or AWSAccessKeyId, Expires, Signature).
  for (const key of [keys[0], keys[3], keys[5]]) {
    const get = client.createSignedUrlSync(
        {Method: 'GET', Bucket: bucket, Key: key, Expires: 300});
    await fetchUrl('GET', get.SignedUrl, get.ActualSignedRequestHeaders);
  }
  const put = client.createSignedUrlSync(
      {Method: 'PUT', Bucket: bucket, Key: keys[4], Expires: 300,
       Headers: {'Content-Type': 'text/plain'}});
  await fetchUrl('PUT', put.SignedUrl, put.ActualSignedRequestHeaders,
                 'uploaded');
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`obs sdk script failed: ${error.stack}\n`);
  process.exit(1);
});
