"""Response bodies in the shapes the real APIs return them (ids and numbers are made up)."""

from __future__ import annotations

from typing import Any

DECISION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {
            "type": "string",
            "enum": ["post", "reply", "quote", "repost", "like", "follow", "ignore"],
        },
        "target": {"type": ["string", "null"]},
        "text": {"type": ["string", "null"]},
        "reason": {"type": "string"},
    },
    "required": ["action", "target", "text", "reason"],
    "additionalProperties": False,
}

DECISION = {"action": "like", "target": "P1", "text": None, "reason": "Agrees with the post."}


# -- Anthropic Messages API ----------------------------------------------------------------------


def anthropic_message(
    content: list[dict[str, Any]],
    *,
    stop_reason: str = "tool_use",
    input_tokens: int = 52,
    output_tokens: int = 41,
    cache_read: int = 0,
    cache_creation: int = 0,
) -> dict[str, Any]:
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5-20251001",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": cache_creation,
            "cache_read_input_tokens": cache_read,
            "cache_creation": {"ephemeral_5m_input_tokens": cache_creation, "ephemeral_1h_input_tokens": 0},
            "output_tokens": output_tokens,
            "service_tier": "standard",
        },
    }


def anthropic_tool_use(decision: dict[str, Any], **usage: int) -> dict[str, Any]:
    block = {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "record_decision"}
    return anthropic_message([{**block, "input": decision}], **usage)


def anthropic_text(text: str, **usage: int) -> dict[str, Any]:
    return anthropic_message([{"type": "text", "text": text}], stop_reason="end_turn", **usage)


def anthropic_error(error_type: str, message: str, error_code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": error_type, "message": message}
    if error_code is not None:
        error["details"] = {"error_code": error_code}
    return {"type": "error", "error": error, "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}


CREDIT_TOO_LOW = anthropic_error(
    "invalid_request_error",
    "Your credit balance is too low to access the Anthropic API. "
    "Please go to Plans & Billing to upgrade or purchase credits.",
)
SPEND_LIMIT = anthropic_error(
    "rate_limit_error",
    "The organization has crossed the monthly API usage threshold of its API tier.",
    error_code="enforced_spend_limit_reached",
)
RATE_LIMITED = anthropic_error(
    "rate_limit_error",
    "This request would exceed the rate limit for your organization of 50 requests per minute.",
)
OVERLOADED = anthropic_error("overloaded_error", "Overloaded")
INVALID_KEY = anthropic_error("authentication_error", "invalid x-api-key")
BAD_REQUEST = anthropic_error("invalid_request_error", "messages: text content blocks must be non-empty")


def anthropic_batch(batch_id: str, status: str, results_url: str | None) -> dict[str, Any]:
    ended = status == "ended"
    return {
        "id": batch_id,
        "type": "message_batch",
        "processing_status": status,
        "request_counts": {
            "processing": 0 if ended else 2,
            "succeeded": 1 if ended else 0,
            "errored": 0,
            "canceled": 0,
            "expired": 1 if ended else 0,
        },
        "created_at": "2025-09-24T18:37:24.100435Z",
        "expires_at": "2025-09-25T18:37:24.100435Z",
        "ended_at": "2025-09-24T18:57:24.100435Z" if ended else None,
        "cancel_initiated_at": None,
        "archived_at": None,
        "results_url": results_url,
    }


# -- OpenAI-compatible chat completions ------------------------------------------------------------


def chat_completion(
    content: str,
    *,
    prompt_tokens: int = 1200,
    completion_tokens: int = 30,
    cached_tokens: int | None = None,
    finish_reason: str = "stop",
) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if cached_tokens is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached_tokens, "audio_tokens": 0}
    return {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1741570283,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage,
        "system_fingerprint": "fp_06737a9306",
    }


INSUFFICIENT_QUOTA = {
    "error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
}
OPENAI_RATE_LIMITED = {
    "error": {
        "message": "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
}
OPENAI_INVALID_KEY = {
    "error": {
        "message": "Incorrect API key provided: sk-abc. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
}
# vLLM's error object (top level, no "error" wrapper) for a response_format it cannot honour.
VLLM_RESPONSE_FORMAT_REJECTED = {
    "object": "error",
    "message": "response_format.type 'json_schema' is not supported by this server",
    "type": "BadRequestError",
    "param": None,
    "code": 400,
}
SERVER_ERROR = {
    "error": {"message": "The server had an error while processing your request.", "type": "server_error"}
}
