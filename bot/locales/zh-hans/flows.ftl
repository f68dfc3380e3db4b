## 流程之外的消息
flow-step-over = 这个按钮所属的步骤已经结束了，所以没有任何操作。下方已恢复主菜单。
free-staff = 如需答复住户，请点工单卡片上的“💬 回复”，或直接回复住户发来的那条消息（在消息上向左滑）。查看您的工单：/tickets

## 反映问题
report-place-noted = 📍 谢谢，已把位置说明加到描述里。
report-open-describe = ✏️ 您的反映还没有提交：准备好后直接发送描述（文字、照片或语音）即可，或发送 /cancel 放弃。
report-open-keyboard = ✏️ 您的反映还没有提交：请用输入框下方的按钮回答，或发送 /cancel 放弃。
report-open-buttons = ✏️ 您的反映还没有提交：请点聊天记录上方那条问题下面的按钮，或发送 /cancel 放弃。
