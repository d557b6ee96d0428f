//! Scenarios for the model-backed stages, each against a fake server on loopback that speaks the real
//! server's protocol: an OpenAI-compatible LLM (Ollama's shapes), ComfyUI (HTTP + WebSocket + history +
//! view) and AUTOMATIC1111. No real network, no model weights.

mod a1111;
mod comfyui;
mod fake;
mod llm;
