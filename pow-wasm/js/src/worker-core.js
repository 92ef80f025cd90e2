// Message handler shared by the browser worker (worker.js) and the Node worker
// (node-worker.js). Protocol: init → ready; work → result; failures → error.
export function createHandler(post, loadGlue) {
  let searcher = null;
  let queue = Promise.resolve();
  const handle = async (msg) => {
    try {
      if (msg.type === 'init') {
        const glue = await loadGlue(msg.flavor);
        glue.initSync({ module: msg.module });
        searcher = new glue.Searcher(msg.c, msg.target);
        post({ type: 'ready', kernel: searcher.kernel });
      } else if (msg.type === 'work') {
        const t0 = performance.now();
        const found = searcher.search(msg.start, msg.count, msg.want);
        const ms = performance.now() - t0;
        post({ type: 'result', id: msg.id, start: msg.start, found: Array.from(found), tried: searcher.tried, ms });
      }
    } catch (e) {
      post({ type: 'error', message: String(e && e.message ? e.message : e) });
    }
  };
  return (msg) => {
    queue = queue.then(() => handle(msg));
  };
}
