// The bare loopback baseline: a Node HTTP server that reads the request and answers a tiny JSON body. It runs in
// its own process, like the services it is compared with. Port from TRIVIAL_PORT.
import http from 'node:http';

const port = Number(process.env.TRIVIAL_PORT);
const body = JSON.stringify({ ok: true });

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(`trivial server listening on 127.0.0.1:${port}`));
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
