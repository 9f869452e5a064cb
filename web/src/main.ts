import { createApp } from 'vue';
import App from './App.vue';
import { boot, start } from './store';
import './styles.css';

/**
 * The server-rendered page (a public room, or a splash) stays on screen until
 * we know who is reading; then the app mounts over it.
 */
async function main(): Promise<void> {
  start();
  await boot().catch((err) => console.error('hubbub: could not start the session', err));
  const app = createApp(App);
  app.mount('#app');
  document.documentElement.classList.add('app-ready');
}

void main();
