## 输入框下方的菜单
menu-report = 📝 反映问题
menu-my = 📋 我的工单
menu-help = ❓ 帮助

## 反映问题
report-join-first = 请先加入您的楼栋：扫描楼道里的二维码打开加入链接，或发送 /join。
report-which-building = 是哪一栋楼的问题？
report-which-category = 是哪一类问题？
report-building-chosen = 楼栋：{ $building }
report-category-chosen = 问题类别：{ $category }
report-metoo = 邻居{ $age }已经反映过类似的问题：
    工单 #{ $number } · { $category } · { $building }
    状态：{ $status }
    是同一个问题吗？关注后，进度有变化时会通知您。
report-metoo-follow = 🙋 是同一个问题：关注 #{ $number }
report-metoo-new = 📝 不是，这是新问题
report-following = 您已关注工单 #{ $number }，接单、解决、重新打开、办结时都会通知您。
report-describe = 请描述问题：可以打字，发送最多 { $max } 张照片（可附文字说明），或者发一条语音。
report-describe-hint = 请发送文字、照片或语音，或发送 /cancel 停止。
report-photo-added = 照片已收到。可以继续发送（最多 { $max } 张），或点击“继续”。
report-too-many-photos = 照片已够了：每条反映最多 { $max } 张。请点击“继续”。
report-continue = 继续 ›
report-location = 问题在哪里？可以用下方按钮发送您的位置，或点击“跳过”。
report-send-location = 📍 发送我的位置
report-skip = 跳过
report-location-saved = 📍 已添加位置。
report-location-skipped = 不发位置也没关系。
report-privacy = 楼长可以看到您的哪些信息？房号楼长都能看到。
report-show-name = 向楼长显示我的姓名：{ $mark }
report-show-phone = 向楼长显示我的电话：{ $mark }
report-contact = 请点击下方按钮分享您本人的电话号码。
report-share-phone = ☎️ 分享我的电话号码
report-dont-share = 不分享
report-contact-not-yours = 请用按钮分享您本人的电话号码，不要分享别人的名片。
report-phone-saved = ☎️ 电话号码已保存。
report-phone-not-shared = 好的，您的电话不会公开。
phone-invalid = 这个电话号码看起来不对。
report-summary = 请核对您的反映：
    类别：{ $category }
    照片：{ $photos } 张，语音：{ $voices } 条
    位置：{ $location }
    向楼长显示姓名：{ $name }
    向楼长显示电话：{ $phone }
report-send = ✅ 提交
report-edit = ✏️ 修改
report-cancel = ✖️ 取消
report-edit-category = 类别
report-edit-description = 描述
report-edit-location = 位置
report-edit-privacy = 隐私
report-sent = ✅ 已提交！您的工单编号是 #{ $number }，已送达 { $building } 的{ $who }。有人接单时会马上通知您。
report-cancelled = 已取消，没有提交任何内容。
report-offer = 要把这条消息作为问题反映给楼长吗？
report-offer-yes = 📝 是的，反映
report-offer-no = 不用了
report-offer-declined = 好的。发送 /help 查看可用功能。
yes-mark = ✅
no-mark = ❌
yes-word = 是
no-word = 否

## 通用
flow-hint = 请使用上方的按钮，或发送 /cancel 停止。
text-too-long = 内容太长了（{ $length } 个字）。请控制在 { $max } 字以内。
flood-slow-down = 您发消息太快了，请稍等一分钟；这期间发送的消息不会被处理。
