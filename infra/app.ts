import { createFramebridgeApp } from './framebridgeApp';

const { app } = createFramebridgeApp();
app.synth();
