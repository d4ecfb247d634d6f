export { CHROMIUM_PATH, launchChromium, type LaunchOptions, type LaunchedChromium } from './chromium.js';
export { serveStatic, type StaticServer } from './static-server.js';
export { bundleTestPage, testPageHtml, type TestPage } from './test-page.js';
