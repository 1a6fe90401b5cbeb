// A client written the way a Node.js developer would write one: @grpc/grpc-js
// with @grpc/proto-loader reading proto/ at run time (no generated code),
// against a real identityd (see node_client_test.sh). Logs in, creates two
// keys, lists them, and checks the error reason of a third create. Prints
// nothing secret; exits non-zero on failure.
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTO_DIR = path.join(__dirname, '..', '..', '..', 'proto');
// google/protobuf/*.proto from Debian's libprotobuf-dev; google/rpc/*.proto
// from golang-github-gogo-googleapis-dev.
const GOOGLE_RPC_DIR = '/usr/share/gocode/src/github.com/gogo/googleapis';

function flag(name) {
  const prefix = `--${name}=`;
  const arg = process.argv.find((a) => a.startsWith(prefix));
  if (!arg) throw new Error(`missing ${prefix}VALUE`);
  return arg.slice(prefix.length);
}

function basic(user, password) {
  const metadata = new grpc.Metadata();
  const pair = Buffer.from(`${user}:${password}`).toString('base64');
  metadata.set('authorization', `Basic ${pair}`);
  return metadata;
}

// Promisified unary call with a deadline.
function call(client, method, request, metadata) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata, {deadline: Date.now() + 30000},
                   (error, response) => error ? reject(error) : resolve(response));
  });
}

// The google.rpc.ErrorInfo reason in a failed call's status details.
function reasonOf(error, types) {
  const [details] = error.metadata.get('grpc-status-details-bin');
  if (!details) return undefined;
  const status = types.Status.decode(details);
  for (const any of status.details) {
    if (any.type_url.endsWith('/google.rpc.ErrorInfo')) {
      return types.ErrorInfo.decode(any.value).reason;
    }
  }
  return undefined;
}

async function main() {
  const target = flag('target');
  const adminPassword =
      fs.readFileSync(flag('admin_password_file'), 'utf8').trim();
  const definition = protoLoader.loadSync(
      ['identity/v1/access_key_service.proto', 'identity/v1/session_service.proto',
       'identity/v1/user_service.proto'],
      {includeDirs: [PROTO_DIR, '/usr/include'], keepCase: true,
       longs: String, enums: String, defaults: true});
  const v1 = grpc.loadPackageDefinition(definition).identity.v1;
  const rpc = new protobuf.Root();
  rpc.resolvePath = (origin, target) =>
      target.startsWith('google/protobuf/') ? path.join('/usr/include', target)
                                            : path.join(GOOGLE_RPC_DIR, target);
  rpc.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'],
               {keepCase: true});
  const types = {Status: rpc.lookupType('google.rpc.Status'),
                 ErrorInfo: rpc.lookupType('google.rpc.ErrorInfo')};

  const credentials = grpc.credentials.createInsecure();
  const users = new v1.UserService(target, credentials);
  const sessions = new v1.SessionService(target, credentials);
  const keys = new v1.AccessKeyService(target, credentials);

  const user = 'node-alice';
  const password = 'node-client-password-1';
  await call(users, 'CreateUser', {user_name: user, password},
             basic('admin', adminPassword));
  const session = await call(sessions, 'Login', {}, basic(user, password));
  if (!session.session_token.startsWith('idt_')) throw new Error('no session token');
  const bearer = new grpc.Metadata();
  bearer.set('authorization', `Bearer ${session.session_token}`);

  const created = [];
  for (const description of ['ci', 'laptop']) {
    const response = await call(keys, 'CreateAccessKey', {description},
                                basic(user, password));
    if (response.access_key.access_key_id.length !== 20 ||
        response.secret_access_key.length !== 40) {
      throw new Error('CreateAccessKey: malformed key or secret');
    }
    created.push(response.access_key.access_key_id);
  }

  const listed = await call(keys, 'ListAccessKeys', {}, bearer);
  const ids = listed.access_keys.map((k) => k.access_key_id).sort();
  if (ids.join() !== created.sort().join()) {
    throw new Error(`listed keys ${ids} differ from created ${created}`);
  }

  try {
    await call(keys, 'CreateAccessKey', {}, basic(user, password));
    throw new Error('a third key was created');
  } catch (error) {
    if (error.code !== grpc.status.FAILED_PRECONDITION) throw error;
    const reason = reasonOf(error, types);
    if (reason !== 'ACCESS_KEY_LIMIT_EXCEEDED') {
      throw new Error(`third CreateAccessKey: reason ${reason}`);
    }
  }
  for (const client of [users, sessions, keys]) client.close();
  console.log('node client: login, 2 keys created and listed, third refused ' +
              'with ACCESS_KEY_LIMIT_EXCEEDED');
}

main().catch((error) => {
  console.error(`node client: ${error.message}`);
  process.exit(1);
});
