// An app whose code runs in a same-origin frame of the page (as a
// framework's sandbox runs it), with its own copy of the package.
import { registerApp } from '/agent/index.js';

window.registered = registerApp({ name: 'framed', version: '1.0.0' });
// Code of the frame's page fails: its URL is under the shell's prefix, but
// it failed in the app's window.
const script = document.createElement('script');
script.textContent = `
  setTimeout(function () { window.thrown = true; throw new Error('framed exploded'); });
  Promise.reject(new Error('framed rejected'));`;
document.body.append(script);
// An image only the frame's timeline sees, which fails to load.
const image = document.createElement('img');
image.addEventListener('error', () => { window.imageFailed = true; });
image.src = '/mfe/framed/missing.png';
document.body.append(image);
