//! Chat templates: the GGUF's own `tokenizer.chat_template` (a Hugging Face Jinja template) rendered with minijinja,
//! configured like `transformers` (`trim_blocks`, `lstrip_blocks`, `raise_exception`, `bos_token`/`eos_token`,
//! Python string methods through minijinja-contrib's pycompat). Nothing here knows ChatML: the file decides.
//! Tool calls, images and other message parts are not supported; messages are role + text.

use std::collections::BTreeMap;

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, ErrorKind, Value};

use super::Tokenizer;
use crate::formats::gguf::GgufHeader;
use crate::{Error, Result};

const OP: &str = "chat_template";

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Message {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// A chat template with the special-token texts it may reference.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

impl ChatTemplate {
    /// Reads `tokenizer.chat_template` and the BOS/EOS texts from the GGUF metadata; the template is compiled
    /// here so a syntax error surfaces at load time.
    pub fn from_gguf(h: &GgufHeader) -> Result<ChatTemplate> {
        let source = h.get_str("tokenizer.chat_template")?;
        let tokens = h.get_str_array("tokenizer.ggml.tokens")?;
        let text_of = |key: &str| -> String {
            let id = h.get_u32(key).ok().map(|i| i as usize);
            id.and_then(|i| tokens.get(i))
                .map(|s| s.to_string())
                .unwrap_or_default()
        };
        ChatTemplate::new(
            source,
            &text_of("tokenizer.ggml.bos_token_id"),
            &text_of("tokenizer.ggml.eos_token_id"),
        )
    }

    /// A template from its source and the BOS/EOS token texts.
    pub fn new(source: &str, bos_token: &str, eos_token: &str) -> Result<ChatTemplate> {
        let mut env = Environment::new();
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(jinja_err)?;
        env.set_syntax(syntax);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |msg: String| -> std::result::Result<Value, minijinja::Error> {
                Err(minijinja::Error::new(ErrorKind::InvalidOperation, msg))
            },
        );
        env.add_template_owned("chat", source.to_string()).map_err(jinja_err)?;
        Ok(ChatTemplate {
            env,
            bos_token: bos_token.to_string(),
            eos_token: eos_token.to_string(),
        })
    }

    /// Renders `messages`; `add_generation_prompt` appends the assistant header so the model answers next.
    pub fn render(&self, messages: &[Message], add_generation_prompt: bool) -> Result<String> {
        let msgs: Vec<Value> = messages
            .iter()
            .map(|m| {
                let map = BTreeMap::from([
                    ("role", Value::from(m.role.as_str())),
                    ("content", Value::from(m.content.as_str())),
                ]);
                Value::from(map)
            })
            .collect();
        let ctx = BTreeMap::from([
            ("messages", Value::from(msgs)),
            ("add_generation_prompt", Value::from(add_generation_prompt)),
            ("bos_token", Value::from(self.bos_token.as_str())),
            ("eos_token", Value::from(self.eos_token.as_str())),
        ]);
        let tmpl = self.env.get_template("chat").map_err(jinja_err)?;
        tmpl.render(Value::from(ctx)).map_err(jinja_err)
    }

    /// Renders and tokenizes with special tokens parsed (the template writes them as text). BOS is prepended only
    /// if the GGUF asks for it and the template did not write it; EOS never (the prompt continues).
    pub fn encode(&self, tokenizer: &Tokenizer, messages: &[Message], add_generation_prompt: bool) -> Result<Vec<u32>> {
        let text = self.render(messages, add_generation_prompt)?;
        let mut ids = tokenizer.encode(&text, false, true)?;
        if let (true, Some(bos)) = (tokenizer.add_bos, tokenizer.bos)
            && ids.first() != Some(&bos)
        {
            ids.insert(0, bos);
        }
        Ok(ids)
    }
}

fn jinja_err(e: minijinja::Error) -> Error {
    Error::invalid(OP, e.to_string())
}
