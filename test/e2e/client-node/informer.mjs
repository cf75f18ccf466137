// The client half of test/e2e/client_node_test.sh: an informer of @kubernetes/client-node on the
// ConfigMaps of one namespace, talking to `bosun server` through the kubeconfig it wrote
// ($KUBECONFIG). It prints one line per thing the informer does, which the shell script waits for:
//
//   LIST n=<count> items=<names> rv=<resourceVersion>   the informer's list function was called
//   WATCH rv=<resourceVersion>                          it (re)started a watch from that version
//   WATCH-ERROR code=<code> reason=<reason> message=<json string>
//                                                       an ERROR event arrived in a watch stream
//   ADD|UPDATE|DELETE <name> rv=<resourceVersion>       the informer's callbacks
//   ERROR <what>                                        its error callback (it has stopped)
//   CACHE <sorted names>                                the informer's store after every change
//
// Like the client-node README's informer example, the program restarts the informer after an
// error, but only when told (SIGUSR2): the script first changes objects while the informer is cut
// off, so that its resumed watch starts from a resourceVersion the server no longer has.
// SIGTERM, or the end of the parent shell, ends it.
import * as k8s from '@kubernetes/client-node';
import {writeSync} from 'node:fs';

const namespace = process.env.WATCH_NAMESPACE || 'default';
const parentPid = Number(process.env.BOSUN_E2E_PARENT || 0);
const maxLifetimeMs = Number(process.env.CLIENT_NODE_LIFETIME_MS || 300000);

// Synchronous writes: the script reads the output file while this program runs.
function say(line) {
  writeSync(1, line + '\n');
}

function describe(err) {
  if (!err) return 'null';
  const parts = [];
  for (const key of ['statusCode', 'code', 'reason', 'type']) {
    if (err[key] !== undefined) parts.push(`${key}=${err[key]}`);
  }
  parts.push(`message=${JSON.stringify(String(err.message ?? err))}`);
  return parts.join(' ');
}

// A spy on the watches the informer makes (makeInformer builds its own Watch, so the prototype is
// the place to look): which resourceVersion each watch resumes from, and the ERROR events the
// server sends, which the informer otherwise handles silently (a 410 clears its resourceVersion).
const originalWatch = k8s.Watch.prototype.watch;
k8s.Watch.prototype.watch = function(path, params, callback, done) {
  say(`WATCH rv=${params?.resourceVersion ?? ''}`);
  const spy = (type, obj, raw) => {
    if (type === 'ERROR') {
      say(
          `WATCH-ERROR code=${obj?.code} reason=${obj?.reason} message=${
              JSON.stringify(obj?.message ?? '')}`,
      );
    }
    return callback(type, obj, raw);
  };
  return originalWatch.call(this, path, params, spy, done);
};

const kc = new k8s.KubeConfig();
kc.loadFromDefault();
const core = kc.makeApiClient(k8s.CoreV1Api);

let lists = 0;
const listFn = async () => {
  const list = await core.listNamespacedConfigMap({namespace});
  lists += 1;
  const names = (list.items || []).map((o) => o.metadata.name).sort();
  say(`LIST n=${lists} items=${names.join(',')} rv=${list.metadata?.resourceVersion ?? ''}`);
  return list;
};

const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`, listFn);

function printCache() {
  const names = informer.list(namespace).map((o) => o.metadata.name).sort();
  say(`CACHE ${names.join(',')}`);
}

for (const [verb, tag] of [['add', 'ADD'], ['update', 'UPDATE'], ['delete', 'DELETE'], ]) {
  informer.on(verb, (obj) => {
    say(`${tag} ${obj.metadata.name} rv=${obj.metadata.resourceVersion}`);
    printCache();
  });
}
informer.on('error', (err) => say(`ERROR ${describe(err)}`));

async function start() {
  try {
    await informer.start();
  } catch (err) {
    say(`ERROR start: ${describe(err)}`);
  }
}

process.on('SIGUSR2', () => {
  say('RESTART');
  start();
});
process.on('SIGTERM', () => {
  informer.stop();
  process.exit(0);
});

// Never outlive the test: not its shell, and not a generous bound.
setInterval(() => {
  if (parentPid > 0) {
    try {
      process.kill(parentPid, 0);
    } catch {
      process.exit(3);
    }
  }
}, 1000).unref();
setTimeout(() => {
  say('TIMEOUT');
  process.exit(4);
}, maxLifetimeMs).unref();
// Keeps the process alive while the informer is stopped and waits for SIGUSR2.
setInterval(() => {}, 1 << 30);

say(`START namespace=${namespace}`);
await start();
