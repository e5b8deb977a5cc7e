// Nimbus's Node.js runtime: pulls events from the Lambda Runtime API (2018-06-01), calls the
// handler named by _HANDLER ("file.export", file relative to LAMBDA_TASK_ROOT, .js/.mjs/.cjs,
// CommonJS or ES module; async, promise-returning or callback style) and posts its result or error
// in AWS's shapes. Node's standard library only.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import util from 'node:util';

const API = process.env.AWS_LAMBDA_RUNTIME_API;
const [host, port] = API.split(':');
const PREFIX = '/2018-06-01/runtime';

// The Runtime API over one kept-alive socket, in the little HTTP/1.1 it needs (one request at a
// time, Content-Length bodies): node:http's client machinery cost more than the function on a warm invoke.
let socket = null;
let buffered = Buffer.alloc(0);
let waiting = null; // { resolve, reject } of the request in flight

function connect() {
  socket = net.connect({ host, port: Number(port), noDelay: true });
  buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    parse();
  });
  const fail = (err) => {
    socket = null;
    if (waiting) {
      const w = waiting;
      waiting = null;
      w.reject(err || new Error('the runtime API closed the connection'));
    }
  };
  socket.on('error', fail);
  socket.on('close', () => fail());
}

function parse() {
  if (!waiting) return;
  const end = buffered.indexOf('\r\n\r\n');
  if (end < 0) return;
  const lines = buffered.toString('latin1', 0, end).split('\r\n');
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon > 0) headers[lines[i].slice(0, colon).trim().toLowerCase()] = lines[i].slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] || 0);
  if (buffered.length < end + 4 + length) return;
  const body = buffered.subarray(end + 4, end + 4 + length);
  buffered = buffered.subarray(end + 4 + length);
  const w = waiting;
  waiting = null;
  w.resolve({ status: Number(lines[0].split(' ')[1]), headers, body });
}

function call(method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    if (!socket) connect();
    waiting = { resolve, reject };
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
    let head = `${method} ${PREFIX}${p} HTTP/1.1\r\nHost: ${API}\r\nContent-Length: ${payload.length}\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    socket.write(Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), payload]));
  });
}

function errorBody(err, fallbackType) {
  if (err instanceof Error) {
    return { errorType: err.name || fallbackType, errorMessage: err.message, trace: String(err.stack || '').split('\n') };
  }
  return { errorType: fallbackType || 'Error', errorMessage: typeof err === 'string' ? err : JSON.stringify(err), trace: [] };
}

function postError(p, body) {
  // Written directly: console is Lambda's line format (or JSON) for the function's own output.
  const line = process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON'
    ? JSON.stringify({ timestamp: new Date().toISOString(), level: 'ERROR', requestId: current ?? undefined, message: body })
    : `${new Date().toISOString()}\t${current || 'undefined'}\tERROR\tInvoke Error \t${JSON.stringify(body)}`;
  process.stderr.write(line + '\n');
  return call('POST', p, JSON.stringify(body), { 'Content-Type': 'application/json', 'Lambda-Runtime-Function-Error-Type': body.errorType });
}

async function loadHandler() {
  const spec = process.env._HANDLER || '';
  const root = process.env.LAMBDA_TASK_ROOT;
  const dot = spec.lastIndexOf('.');
  if (dot <= 0 || dot === spec.length - 1) {
    throw { errorType: 'Runtime.MalformedHandlerName', errorMessage: `Bad handler ${spec}`, trace: [] };
  }
  const moduleName = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => path.resolve(root, moduleName + ext)).find((f) => fs.existsSync(f));
  if (!file) {
    throw { errorType: 'Runtime.ImportModuleError', errorMessage: `Error: Cannot find module '${moduleName}'\nRequire stack:\n- ${process.argv[1]}`, trace: [] };
  }
  let mod;
  try {
    // import() loads both kinds: a CommonJS file's module.exports arrives as the default export.
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    if (e instanceof SyntaxError) throw { errorType: 'Runtime.UserCodeSyntaxError', errorMessage: `${e.name}: ${e.message}`, trace: String(e.stack).split('\n') };
    throw { errorType: 'Runtime.ImportModuleError', errorMessage: `${e.name}: ${e.message}`, trace: String(e.stack).split('\n') };
  }
  const handler = mod[exportName] ?? mod.default?.[exportName];
  if (typeof handler !== 'function') {
    throw { errorType: 'Runtime.HandlerNotFound', errorMessage: `${spec} is undefined or not exported`, trace: [] };
  }
  return handler;
}

function run(handler, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (err, result) => (err != null ? reject(err) : resolve(result));
    let returned;
    try {
      returned = handler(event, context, callback);
    } catch (e) {
      reject(e);
      return;
    }
    if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
    else if (handler.length < 3) resolve(returned);
  });
}

let current = null;

// LoggingConfig LogFormat JSON: console output becomes one JSON object a call, filtered by the ApplicationLogLevel.
if (process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON') {
  const order = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5 };
  const min = order[process.env.AWS_LAMBDA_LOG_LEVEL] ?? order.INFO;
  const emit = (level) => (...args) => {
    if (order[level] < min) return;
    const record = { timestamp: new Date().toISOString(), level, requestId: current ?? undefined, message: util.format(...args) };
    process.stdout.write(JSON.stringify(record) + '\n');
  };
  console.trace = emit('TRACE');
  console.debug = emit('DEBUG');
  console.log = emit('INFO');
  console.info = emit('INFO');
  console.warn = emit('WARN');
  console.error = emit('ERROR');
} else {
  // Lambda's Node.js line: time, request id ("undefined" outside an invocation), level, message.
  const emit = (level) => (...args) => {
    process.stdout.write(`${new Date().toISOString()}\t${current ?? 'undefined'}\t${level}\t${util.format(...args)}\n`);
  };
  console.trace = emit('TRACE');
  console.debug = emit('DEBUG');
  console.log = emit('INFO');
  console.info = emit('INFO');
  console.warn = emit('WARN');
  console.error = emit('ERROR');
}

process.on('uncaughtException', async (e) => {
  const body = errorBody(e, 'Runtime.UncaughtException');
  if (current) await postError(`/invocation/${current}/error`, body).catch(() => {});
  process.exit(129);
});
process.on('unhandledRejection', async (reason) => {
  const body = errorBody(reason, 'Runtime.UnhandledPromiseRejection');
  if (current) await postError(`/invocation/${current}/error`, body).catch(() => {});
  process.exit(128);
});

let handler;
try {
  handler = await loadHandler();
} catch (failure) {
  await postError('/init/error', failure.errorType ? failure : errorBody(failure, 'Runtime.Unknown'));
  process.exit(1);
}

for (;;) {
  const next = await call('GET', '/invocation/next');
  const id = next.headers['lambda-runtime-aws-request-id'];
  const deadline = Number(next.headers['lambda-runtime-deadline-ms']);
  if (next.headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'];
  const clientContext = next.headers['lambda-runtime-client-context'];
  current = id;
  const context = {
    awsRequestId: id,
    invokedFunctionArn: next.headers['lambda-runtime-invoked-function-arn'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: clientContext ? JSON.parse(clientContext) : undefined,
    identity: undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
  let result;
  try {
    const event = next.body.length ? JSON.parse(next.body.toString('utf8')) : {};
    result = await run(handler, event, context);
  } catch (e) {
    await postError(`/invocation/${id}/error`, errorBody(e));
    current = null;
    continue;
  }
  const payload = result === undefined ? 'null' : JSON.stringify(result);
  await call('POST', `/invocation/${id}/response`, payload, { 'Content-Type': 'application/json' });
  current = null;
}
