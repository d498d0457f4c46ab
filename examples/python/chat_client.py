"""A chat client for Parley written the way TWIN's integration guide writes it.

1. start a chat session over REST,
2. receive the bot's and operators' messages over Socket.IO (python-socketio 4.6.1),
3. send client messages over REST and confirm that bot/operator messages were read.

Usage:
    pip install -r requirements.txt
    python chat_client.py http://localhost:8080 <chatId>

Type a message and press Enter; type a button's text to press it; Ctrl-C ends.
"""
import sys

import requests
import socketio

BASE_URL = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://localhost:8080"
CHAT_ID = sys.argv[2] if len(sys.argv) > 2 else None
if not CHAT_ID:
    sys.exit("usage: python chat_client.py <base url> <chat id>")


def start_session():
    """Старт новой чат-сессии: POST /chats/{chatId}/sessions (no auth)."""
    response = requests.post(
        f"{BASE_URL}/api/v1/chats/{CHAT_ID}/sessions?x_widget=1",
        json={"name": "Python client", "clientName": "Python", "clientMetadata": {"source": "example"}},
    )
    response.raise_for_status()
    return response.json()


def send_message(session_id, body):
    """Отправка сообщения в чат-сессию: POST /sessions/{sessionId}/messages."""
    response = requests.post(f"{BASE_URL}/api/v1/sessions/{session_id}/messages", json={"body": body, "attachments": []})
    if response.status_code >= 400:
        print("error:", response.json()["error"])


def mark_read(message_id):
    requests.patch(f"{BASE_URL}/api/v1/messages/{message_id}/read")


session = start_session()
session_id = session["id"]
print(f"session {session_id}")
for message in session["messages"]:
    print(f"{message['authorName']}: {message['body']}")
    for answer in message["answers"]:
        print(f"   [{answer['text']}]")

# Создаем экземпляр клиента
socket_session = socketio.Client()


@socket_session.on("chatMessageCreatedEmit")
def on_message(data):
    print(f"\n{data['authorName']} ({data['authorType']}): {data['body']}")
    for answer in data["answers"]:
        print(f"   [{answer['text']}]")
    mark_read(data["id"])


@socket_session.on("showTypingIndicatorEmit")
def on_typing(data):
    print(f"... {data['authorType']} is typing")


@socket_session.on("chatMessageReadEmit")
def on_read(data):
    print(f"(read: {data['messageId']})")


@socket_session.on("operatorChangedEmit")
def on_operator_changed(data):
    print(f"operator: {data['operatorName']} (was {data['previousOperatorName']})")


@socket_session.on("operatorStatusChangedEmit")
def on_operator_status(data):
    print(f"operator {data['operatorId']}: {data['previousStatus']} -> {data['currentStatus']}")


@socket_session.on("operatorLoggedOutEmit")
def on_operator_logged_out(data):
    print(f"operator {data['operatorId']} logged out")


@socket_session.on("connect_error")
def on_connect_error(data):
    print("connect_error:", data)


socket_session.connect(f"{BASE_URL}?key={session_id}", socketio_path="operator/socket.io")

try:
    while True:
        text = input("> ")
        if text.strip():
            send_message(session_id, text)
except (KeyboardInterrupt, EOFError):
    requests.delete(f"{BASE_URL}/api/v1/sessions/{session_id}", json={"result": "client left"})
    socket_session.disconnect()
