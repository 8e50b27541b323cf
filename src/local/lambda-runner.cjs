// The Node.js "runtime" of a local Lambda function: a warm child process that loads the handler
// from LAMBDA_TASK_ROOT/_HANDLER once, then runs one invocation per IPC message, as the Lambda
// runtime interface does. Plain CommonJS so it runs as is, from the repository and from the
// package. The parent enforces the timeout (it kills this process).
'use strict';
const path = require('path');
const { pathToFileURL } = require('url');

const taskRoot = process.env.LAMBDA_TASK_ROOT;
const handlerSpec = process.env._HANDLER;
let handlerPromise;
let current;

function loadHandler() {
  const dot = handlerSpec.lastIndexOf('.');
  const moduleName = handlerSpec.slice(0, dot);
  const exportName = handlerSpec.slice(dot + 1);
  const file = path.join(taskRoot, moduleName);
  return (async () => {
    let mod;
    try {
      mod = require(file);
    } catch (error) {
      if (error && error.code !== 'MODULE_NOT_FOUND' && error.code !== 'ERR_REQUIRE_ESM') throw error;
      mod = await import(pathToFileURL(`${file}.mjs`).href);
    }
    const fn = mod[exportName] ?? (mod.default && mod.default[exportName]);
    if (typeof fn !== 'function') {
      const error = new Error(`${moduleName}.${exportName} is undefined or not exported`);
      error.name = 'Runtime.HandlerNotFound';
      throw error;
    }
    return fn;
  })();
}

function serializeError(error) {
  if (error instanceof Error) return { errorType: error.name, errorMessage: error.message, stackTrace: (error.stack || '').split('\n').slice(1).map((l) => l.trim()) };
  return { errorType: 'Error', errorMessage: typeof error === 'string' ? error : JSON.stringify(error) };
}

function reply(message) {
  if (process.send) process.send(message);
}

process.on('message', async (message) => {
  const { id, event, context: base } = message;
  current = id;
  const context = {
    ...base,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, base.deadlineMs - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    handlerPromise ??= loadHandler();
    const handler = await handlerPromise;
    const result = handler.length >= 3
      ? await new Promise((resolve, reject) => {
        const maybe = handler(event, context, (error, value) => (error ? reject(error) : resolve(value)));
        if (maybe && typeof maybe.then === 'function') maybe.then(resolve, reject);
      })
      : await handler(event, context);
    reply({ id, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    reply({ id, ok: false, error: serializeError(error) });
  } finally {
    current = undefined;
  }
});

// An error escaping the handler crashes the Lambda runtime: answer the invocation, then exit.
for (const kind of ['uncaughtException', 'unhandledRejection']) {
  process.on(kind, (error) => {
    if (current !== undefined) reply({ id: current, ok: false, error: serializeError(error) });
    process.exit(1);
  });
}
// Stop with the local cloud: the IPC channel closes when the parent exits, even when it is killed.
process.on('disconnect', () => process.exit(0));
reply({ ready: true });
