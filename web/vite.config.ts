import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run build:web` and `obscura serve` (when web/dist is missing or stale) both build with
// this file; `npm run dev:web` serves the app with hot reload and sends API and WebSocket
// traffic to a server started with `npm start`.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      output: {
        // Libraries change less often than the app: their files stay cached across releases.
        manualChunks(id) {
          if (/[\\/]node_modules[\\/](react|react-dom|scheduler)[\\/]/.test(id)) return 'react';
          if (/[\\/]node_modules[\\/](lightweight-charts|fancy-canvas)[\\/]/.test(id))
            return 'charts';
          return undefined;
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: {
      '/api': 'http://127.0.0.1:8000',
      '/ws': { target: 'ws://127.0.0.1:8000', ws: true },
    },
  },
});
