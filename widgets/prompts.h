#pragma once

#include <QString>

class QWidget;

namespace lg {

struct KubeContext;

/**
 * A kubeconfig exec plugin is a program of the user's: say what will run, for what, and run it only when
 * the user agrees. True when the context has no plugin or the user said yes.
 */
bool confirmCredentialPlugin(QWidget* parent, const KubeContext& context, const QString& forWhat);

} // namespace lg
