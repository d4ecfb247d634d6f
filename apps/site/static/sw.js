// The site's service worker: the pages work offline once visited. Same-origin GET requests go to
// the network first and a copy lands in Cache Storage ("sdtext-site"); when the network fails the
// copy answers. Network first means a new build is seen as soon as the reader is online. The hub's
// files (cross-origin) are not touched here: @sdtext/pipeline keeps them in "sdtext-hub" itself.
const CACHE = 'sdtext-site';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// The page sends what it loaded before this worker controlled it (its HTML, scripts, styles).
self.addEventListener('message', (event) => {
  const urls = (event.data && event.data.type === 'sdtext-cache' && Array.isArray(event.data.urls) ? event.data.urls : [])
    .filter((url) => typeof url === 'string' && new URL(url).origin === self.location.origin);
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      Promise.all(urls.map((url) => cache.match(url).then((hit) => hit || cache.add(url).catch(() => undefined)))),
    ),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request).then(
      (response) => {
        if (response.ok && response.type === 'basic') {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
        }
        return response;
      },
      async (error) => {
        const cache = await caches.open(CACHE);
        const hit = (await cache.match(request)) || (request.mode === 'navigate' ? await cache.match(request, { ignoreSearch: true }) : undefined);
        if (hit) return hit;
        throw error;
      },
    ),
  );
});
