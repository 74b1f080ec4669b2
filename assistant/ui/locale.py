"""Gradio's own words on our pages, in Chinese whatever the browser's language.

Gradio translates its built-in labels (tooltips, upload hints, the login form) by the browser's
locale, and some keys its zh-CN file lacks (the chat's copy button) fall back to English. Custom
translations (`gr.I18n`, passed to `launch(i18n=...)`) are looked up before Gradio's own, so the
keys below, given for English (the fallback of every locale Gradio does not ship) and for
Chinese, make these words Chinese on an en-US browser as on a zh-CN one.

Not reachable: the login page. Before login Gradio sends the page a config without the custom
translations, so that page alone follows the browser's language (Chinese in a zh browser, which
is what archives use; English in an en-US one).

Deliberately not handled: words Gradio does not translate at all. The 👍/👎 icons' "Liked" /
"Disliked" are such words, so the chat has its own 👍/👎 buttons (`chat_page`); the progress
line's "processing" and timer are hidden by the page's CSS (`app.CSS`).
"""

from __future__ import annotations

import gradio as gr

# Gradio's translation key → what our users read. Only keys our pages can show.
WORDS: dict[str, str] = {
    "chatbot.copy_message": "复制",
    "chatbot.copied_message": "已复制",
    "chatbot.like": "有用",
    "chatbot.dislike": "没用",
    "chatbot.clear": "清空对话",
    "chatbot.retry": "重试",
    "chatbot.undo": "撤销",
    "chatbot.edit": "编辑",
    "chatbot.submit": "发送",
    "chatbot.cancel": "取消",
    "chatbot.complete": "完成",
    "common.clear": "清除",
    "common.download": "下载",
    "common.download_all": "全部下载",
    "common.edit": "编辑",
    "common.empty": "空",
    "common.error": "提示",
    "common.loading": "加载中",
    "common.or": "或",
    "common.remove": "移除",
    "common.settings": "设置",
    "common.language": "语言",
    "common.display_theme": "显示主题",
    "common.progress": "进度",
    "common.submit": "提交",
    "common.undo": "撤销",
    "common.share": "分享",
    "common.built_with": "构建于",
    "common.built_with_gradio": "使用 Gradio 构建",
    "upload_text.click_to_upload": "点击选择文件",
    "upload_text.drop_file": "将文件拖放到此处",
    "upload_text.drop_csv": "将 CSV 文件拖放到此处",
    "upload_text.paste_clipboard": "从剪贴板粘贴",
    "file.uploading": "正在上传……",
    "dataframe.sort_column": "排序",
    "dataframe.sort_ascending": "升序",
    "dataframe.sort_descending": "降序",
    "dataframe.clear_sort": "取消排序",
    "login.login": "登录",
    "login.username": "用户名",
    "login.password": "密码",
    "login.incorrect_credentials": "用户名或密码不正确",
    "blocks.lost_connection": "离开页面后连接已断开，正在重新连接……",
    "blocks.waiting_for_inputs": "请等文件上传完成后再试。",
    "radio.radio": "单选",
    "checkbox.checkbox_group": "多选",
    "dropdown.dropdown": "下拉选择",
    "number.number": "数字",
}
LOCALES = ("en", "zh-CN", "zh-TW")


def translations() -> gr.I18n:
    return gr.I18n(**{locale: dict(WORDS) for locale in LOCALES})
