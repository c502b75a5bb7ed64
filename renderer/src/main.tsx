import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './api';
import { App } from './App';
import { startStore } from './store';
import './styles.css';

startStore();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
